using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DecomCamNet.ExplainService;

/// <summary>
/// The service running in this process on a loopback port (127.0.0.1 only), for tests and the soak. Dispose to stop it:
/// the workers finish their queued requests and dispose their models and methods.
/// </summary>
public sealed class ExplainServiceHost : IDisposable
{
    private readonly WebApplication _app;

    private ExplainServiceHost(WebApplication app, Uri address)
    {
        _app = app;
        BaseAddress = address;
    }

    /// <summary>Where the service listens, e.g. <c>http://127.0.0.1:5123/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The service's request counters.</summary>
    public ServiceStats Stats => _app.Services.GetRequiredService<ServiceStats>();

    /// <summary>Worker threads still running.</summary>
    public int AliveWorkers => _app.Services.GetRequiredService<WorkerPool>().AliveWorkers;

    /// <summary>Requests waiting for a worker.</summary>
    public int Queued => _app.Services.GetRequiredService<WorkerPool>().Queued;

    /// <summary>Starts the service with <paramref name="options"/> on 127.0.0.1:<paramref name="port"/> (0: a free port).</summary>
    /// <param name="options">The settings.</param>
    /// <param name="port">The TCP port; 0 lets the system choose.</param>
    /// <param name="minimumLogLevel">Log messages below this level are dropped (Warning keeps a soak's console quiet).</param>
    public static ExplainServiceHost Start(ExplainServiceOptions options, int port = 0, LogLevel minimumLogLevel = LogLevel.Warning)
    {
        ArgumentNullException.ThrowIfNull(options);
        var app = ExplainServiceApp.Build([], options, builder =>
        {
            builder.Logging.SetMinimumLevel(minimumLogLevel);
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        });
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
            var address = new Uri(app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
            return new ExplainServiceHost(app, address);
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }
    }

    /// <summary>Stops the server and the workers.</summary>
    public void Dispose()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        ((IDisposable)_app).Dispose();
    }
}
