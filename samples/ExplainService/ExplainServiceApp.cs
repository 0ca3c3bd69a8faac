using DecomCamNet.Native;
using Microsoft.Extensions.DependencyInjection;

namespace DecomCamNet.ExplainService;

/// <summary>Builds the service: models, worker pool and the <c>/explain</c> endpoint on an ASP.NET Core minimal API.</summary>
public static class ExplainServiceApp
{
    /// <summary>
    /// The application, its models loaded and its workers started (so the first request does not wait for them).
    /// Settings come from <paramref name="options"/> when given, else from configuration (<see cref="ExplainServiceOptions.Section"/>).
    /// </summary>
    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--ExplainService:Workers=4</c>, ...).</param>
    /// <param name="options">Settings that replace the configured ones (in-process hosts).</param>
    /// <param name="configure">Further changes to the builder (logging, Kestrel endpoints) before it is built.</param>
    public static WebApplication Build(string[] args, ExplainServiceOptions? options = null, Action<WebApplicationBuilder>? configure = null)
    {
        NativeHeap.KeepFreedMemory();    // as the command line does: freed native memory is reused, not faulted in again
        OpenMpThreads.UsePassiveWaits(); // idle OpenMP threads sleep instead of spinning beside the other workers
        var builder = WebApplication.CreateBuilder(args);
        options ??= builder.Configuration.GetSection(ExplainServiceOptions.Section).Get<ExplainServiceOptions>() ?? new ExplainServiceOptions();
        options.Validate();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ServiceStats>();
        builder.Services.AddSingleton<ModelCatalog>();
        builder.Services.AddSingleton<ExplainRequestParser>();
        builder.Services.AddSingleton<WorkerPool>();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.Services.GetRequiredService<WorkerPool>();
        app.MapExplain();
        return app;
    }
}
