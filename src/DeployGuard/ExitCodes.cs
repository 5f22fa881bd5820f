namespace DeployGuard;

/// <summary>SPEC §7: 0 success, 1 refused or invalid, 2 usage or configuration error.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Refused = 1;
    public const int Usage = 2;
}
