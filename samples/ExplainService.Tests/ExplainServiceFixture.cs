using static TorchSharp.torch;

namespace DecomCamNet.ExplainService.Tests;

/// <summary>The sample service in this process with the bundled SceneNet only, shared by the endpoint tests.</summary>
public sealed class ExplainServiceFixture : IDisposable
{
    public ExplainServiceFixture()
    {
        // The workers take the test process's libtorch thread count, so starting them changes nothing for other tests.
        Host = ExplainServiceHost.Start(new ExplainServiceOptions { Workers = 2, TorchThreadsPerWorker = get_num_threads() });
        Client = new HttpClient { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public ExplainServiceHost Host { get; }

    public HttpClient Client { get; }

    public static string SampleImage => Path.Combine(AppContext.BaseDirectory, "assets", "sample.png");

    public void Dispose()
    {
        Client.Dispose();
        Host.Dispose();
    }
}
