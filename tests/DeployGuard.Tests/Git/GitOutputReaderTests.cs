using System.Text;
using DeployGuard.Git;

namespace DeployGuard.Tests.Git;

public sealed class GitOutputReaderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task ReadToken_MultiByteCharacterAcrossABufferRefill_IsDecodedWhole(int bufferSize)
    {
        // With a tiny buffer every refill boundary falls somewhere inside the token, including
        // in the middle of 'é' (2 bytes) and '€' (3 bytes).
        var tokens = new[] { "prod/appé-ü.deploy", "staging/€uro.deploy", "" , "ascii" };
        var bytes = Encoding.UTF8.GetBytes(string.Join('\0', tokens) + "\0");
        var reader = new GitOutputReader(new MemoryStream(bytes), bufferSize);

        foreach (var expected in tokens)
        {
            (await reader.ReadTokenAsync(0, CancellationToken.None)).ShouldBe(expected);
        }

        (await reader.ReadTokenAsync(0, CancellationToken.None)).ShouldBeNull();
    }

    [Fact]
    public async Task ReadExactAndSkip_CrossRefills_KeepTheStreamInStep()
    {
        var reader = new GitOutputReader(new MemoryStream(Encoding.ASCII.GetBytes("head\nABCDEFGHIJ\nnext\n")), bufferSize: 3);

        (await reader.ReadTokenAsync((byte)'\n', CancellationToken.None)).ShouldBe("head");
        var four = new byte[4];
        await reader.ReadExactAsync(four, CancellationToken.None);
        await reader.SkipAsync(7, CancellationToken.None);

        Encoding.ASCII.GetString(four).ShouldBe("ABCD");
        (await reader.ReadTokenAsync((byte)'\n', CancellationToken.None)).ShouldBe("next");
    }

    [Fact]
    public async Task ReadExact_StreamEndsEarly_Throws()
    {
        var reader = new GitOutputReader(new MemoryStream([1, 2]), bufferSize: 4);

        await Should.ThrowAsync<EndOfStreamException>(async () => await reader.ReadExactAsync(new byte[3], CancellationToken.None));
    }
}
