using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using DecomCamNet.Imaging;

namespace DecomCamNet.ExplainService.Soak;

/// <summary>
/// The soak test of the service: starts it in this process on a loopback port with the soak's models
/// (<see cref="SoakModels"/>), serves every <see cref="SoakCase"/> once alone as its reference, then runs concurrent
/// request loops over the cases while another thread forces garbage collections, and compares every map served under
/// load with its reference. Requests go to 127.0.0.1 only; each loop stops at the deadline or after its request limit.
/// </summary>
public static class ExplainSoak
{
    private const int ErrorsShown = 5;

    /// <summary>Runs the soak; progress and the first errors go to <paramref name="log"/> (the summary line is the caller's to print).</summary>
    /// <exception cref="ArgumentOutOfRangeException">No loops, or a duration that is not positive.</exception>
    /// <exception cref="InvalidOperationException">A reference request failed (the service cannot serve a case at all).</exception>
    public static SoakResult Run(SoakOptions options, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        if (options.Threads < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Threads, "A soak needs at least one request loop.");
        if (options.Duration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), options.Duration, "A soak needs a positive duration.");
        string folder = options.WorkDirectory ?? Directory.CreateTempSubdirectory("decomcam-soak-").FullName;
        long uncaught = 0;
        UnhandledExceptionEventHandler onUnhandled = (_, _) => Interlocked.Increment(ref uncaught);
        EventHandler<UnobservedTaskExceptionEventArgs> onUnobserved = (_, e) => { Interlocked.Increment(ref uncaught); e.SetObserved(); };
        AppDomain.CurrentDomain.UnhandledException += onUnhandled;
        TaskScheduler.UnobservedTaskException += onUnobserved;
        try
        {
            var serviceOptions = SoakModels.Write(folder, options.Workers, options.OnnxModel);
            byte[] image = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "assets", "sample.png"));
            var cases = SoakCase.For(serviceOptions);
            using var host = ExplainServiceHost.Start(serviceOptions);
            using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(10) };
            log.WriteLine($"soak: {cases.Count} cases ({string.Join(", ", cases.Select(c => $"{c.Model}/{c.Method}"))}), " +
                $"{serviceOptions.Workers} workers, {options.Threads} request loops, {options.Duration.TotalSeconds:F0} s, on {host.BaseAddress}");
            var references = cases.Select(c => Reference(client, c, image)).ToArray();
            var load = new LoadCounters(log);
            (double? First, double? Last) rss;
            long collections;
            using (var sampler = new RssSampler(TimeSpan.FromMilliseconds(250)))
            {
                using (var churn = new GarbageChurn())
                {
                    var deadline = Stopwatch.StartNew();
                    var loops = Enumerable.Range(0, options.Threads)
                        .Select(i => Loop(client, cases, references, image, i, options, deadline, load)).ToArray();
                    Task.WaitAll(loops);
                    collections = churn.Collections;
                }
                sampler.Dispose();
                rss = sampler.QuarterPeaks();
            }
            long deadWorkers = Math.Max(host.Stats.WorkerCrashes, serviceOptions.Workers - host.AliveWorkers);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"soak: largest map difference {load.LargestDifference:G3} (tolerance {options.Tolerance:G3}), {collections} forced collections, {load.Retries} answers 503 (queue full) retried"));
            return new SoakResult(load.Served, load.Mismatches, load.Errors, deadWorkers + Interlocked.Read(ref uncaught), load.Retries,
                rss.First ?? 0, rss.Last ?? 0, load.LargestDifference, collections);
        }
        finally
        {
            AppDomain.CurrentDomain.UnhandledException -= onUnhandled;
            TaskScheduler.UnobservedTaskException -= onUnobserved;
            if (options.WorkDirectory is null) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The case's map served alone (before any load).</summary>
    private static float[] Reference(HttpClient client, SoakCase soakCase, byte[] image)
    {
        using var response = Send(client, soakCase, image).GetAwaiter().GetResult();
        byte[] body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        if (response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"The reference request {soakCase.Path} was answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
        return NpyFile.ReadArray(body, soakCase.Path).Values;
    }

    private static async Task Loop(HttpClient client, IReadOnlyList<SoakCase> cases, float[][] references, byte[] image, int loop,
        SoakOptions options, Stopwatch clock, LoadCounters load)
    {
        await Task.Yield();
        for (int n = 0; n < options.MaxRequestsPerLoop && clock.Elapsed < options.Duration; n++)
        {
            int index = (loop + n) % cases.Count; // the loops start on different cases, so different models run at once
            var soakCase = cases[index];
            try
            {
                using var response = await Send(client, soakCase, image);
                byte[] body = await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    load.Retry();
                    await Task.Delay(100);
                    continue;
                }
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    load.Error($"{soakCase.Path}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
                    continue;
                }
                load.Compared(soakCase.Path, Difference(NpyFile.ReadArray(body, soakCase.Path).Values, references[index]), options.Tolerance);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidDataException or TaskCanceledException)
            {
                load.Error($"{soakCase.Path}: {e.Message}");
            }
        }
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, SoakCase soakCase, byte[] image)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, soakCase.Path) { Content = new ByteArrayContent(image) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ExplainRequestParser.NpyMediaType));
        return client.SendAsync(request);
    }

    /// <summary>The largest absolute difference; infinity when the shapes differ or a value is not finite.</summary>
    private static double Difference(float[] map, float[] reference)
    {
        if (map.Length != reference.Length) return double.PositiveInfinity;
        double largest = 0;
        for (int i = 0; i < map.Length; i++)
        {
            double d = Math.Abs((double)map[i] - reference[i]);
            if (!double.IsFinite(d)) return double.PositiveInfinity;
            largest = Math.Max(largest, d);
        }
        return largest;
    }

    /// <summary>The load phase's counts, shared by the loops.</summary>
    private sealed class LoadCounters(TextWriter log)
    {
        private readonly object _gate = new();
        private long _served, _mismatches, _errors, _retries;
        private double _largest;

        public long Served => Interlocked.Read(ref _served);
        public long Mismatches => Interlocked.Read(ref _mismatches);
        public long Errors => Interlocked.Read(ref _errors);
        public long Retries => Interlocked.Read(ref _retries);
        public double LargestDifference { get { lock (_gate) return _largest; } }

        public void Retry() => Interlocked.Increment(ref _retries);

        public void Error(string what)
        {
            if (Interlocked.Increment(ref _errors) <= ErrorsShown) Write($"soak: error {what}");
        }

        public void Compared(string path, double difference, double tolerance)
        {
            Interlocked.Increment(ref _served);
            lock (_gate) _largest = Math.Max(_largest, difference);
            if (difference <= tolerance) return;
            if (Interlocked.Increment(ref _mismatches) <= ErrorsShown)
                Write(string.Create(CultureInfo.InvariantCulture, $"soak: mismatch {path}: max |diff| {difference:G3} > {tolerance:G3}"));
        }

        private void Write(string line)
        {
            lock (log) log.WriteLine(line);
        }
    }
}
