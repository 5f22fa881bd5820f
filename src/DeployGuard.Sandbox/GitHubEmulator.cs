using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DeployGuard.Sandbox;

/// <summary>
/// A GitHub REST API on loopback for the demo and the tests: the endpoints DeployGuard calls,
/// answered from seeded state and real git repositories, with GitHub's authentication, rate
/// limits, ETags, pagination and error shapes, and injectable faults. Listens on 127.0.0.1 on a
/// free port; nothing leaves the machine.
/// </summary>
public sealed class GitHubEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly EmulatorServices _services;
    private int _disposed;

    private GitHubEmulator(WebApplication app, EmulatorServices services, Uri apiUrl)
    {
        _app = app;
        _services = services;
        ApiUrl = apiUrl;
    }

    /// <summary>The REST base URL, always ending in '/': http://127.0.0.1:port/ or, with a path prefix, http://127.0.0.1:port/api/v3/.</summary>
    public Uri ApiUrl { get; }

    /// <summary>Seeding: tokens, repositories, pull requests, reviews, permissions, teams, app installations.</summary>
    public EmulatorState State => _services.State;

    public EmulatorFaults Faults => _services.Faults;

    /// <summary>A snapshot of every request received, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _services.Log.Snapshot();

    public void ClearRequests() => _services.Log.Clear();

    public static async Task<GitHubEmulator> StartAsync(GitHubEmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new GitHubEmulatorOptions();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid emulator options: " + string.Join("; ", errors), nameof(options));
        }

        var services = new EmulatorServices(options);

        // The empty builder reads no appsettings.json, environment variables or command line: the
        // host process's configuration (ASPNETCORE_URLS, a Kestrel section) must not move or
        // reshape the emulator.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        RequestPipeline.Configure(app, services);
        Routes.Map(app);

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var port = new Uri(address).Port;
        services.Urls = new EmulatorUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", services.PathPrefix);
        return new GitHubEmulator(app, services, new Uri(services.Urls.Api + "/"));
    }

    /// <summary>Stops Kestrel; requests still running are cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(timeout.Token);
        }

        await _app.DisposeAsync();
    }
}
