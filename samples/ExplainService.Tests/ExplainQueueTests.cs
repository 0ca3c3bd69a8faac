using System.Net;
using System.Text.Json;
using static TorchSharp.torch;

namespace DecomCamNet.ExplainService.Tests;

/// <summary>The bounded queue: with its one worker held and its one place taken, the next request is answered 503 at once.</summary>
public sealed class ExplainQueueTests
{
    [Fact]
    public async Task AFullQueueAnswers503WithRetryAfterAndTheHeldRequestsStillComplete()
    {
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim(false);
        var options = new ExplainServiceOptions
        {
            Workers = 1,
            QueueCapacity = 1,
            RetryAfterSeconds = 7,
            TorchThreadsPerWorker = get_num_threads(),
            BeforeJob = () =>
            {
                entered.Release();
                release.Wait();
            },
        };
        using var host = ExplainServiceHost.Start(options);
        using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        byte[] image = await File.ReadAllBytesAsync(ExplainServiceFixture.SampleImage);
        Task<HttpResponseMessage> Post() => client.PostAsync("explain?model=scenenet&method=gradcam", new ByteArrayContent(image));
        try
        {
            var running = Post();
            Assert.True(await entered.WaitAsync(TimeSpan.FromMinutes(1)), "the worker never took the first request");
            var queued = Post();
            for (int i = 0; i < 600 && host.Queued == 0; i++) await Task.Delay(100);
            Assert.Equal(1, host.Queued);

            using var refused = await Post();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(7), refused.Headers.RetryAfter?.Delta);
            using var json = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            Assert.Contains("retry later", json.RootElement.GetProperty("error").GetString());

            release.Set();
            using var first = await running;
            using var second = await queued;
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal((2L, 1L, 0L), (host.Stats.Served, host.Stats.Rejected, host.Stats.ServerErrors));
        }
        finally
        {
            release.Set();
        }
    }
}
