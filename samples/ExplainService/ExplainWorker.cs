using System.Threading.Channels;
using DecomCamNet.Clip;
using DecomCamNet.Clip.Models;
using DecomCamNet.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.ExplainService;

/// <summary>
/// One worker thread: its own instance of every model (loaded on the thread at start) and its own method instance per
/// model, method and layer (created on first use, kept until shutdown), because methods are not thread-safe and a
/// module's hook tables must not change while another thread runs it. Each job runs in its own dispose scope; an
/// exception answers that job (400 for a request the model cannot serve, 500 otherwise) and the worker goes on.
/// </summary>
internal sealed class ExplainWorker
{
    private readonly int _index;
    private readonly ChannelReader<ExplainJob> _jobs;
    private readonly ModelCatalog _catalog;
    private readonly ExplainServiceOptions _options;
    private readonly ServiceStats _stats;
    private readonly ILogger _logger;
    private readonly int _torchThreads;
    private readonly Thread _thread;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _models = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(string Model, string Method, string Layer), ICamMethod> _methods = new();

    public ExplainWorker(int index, ChannelReader<ExplainJob> jobs, ModelCatalog catalog, ExplainServiceOptions options, int torchThreads,
        ServiceStats stats, ILogger logger)
    {
        (_index, _jobs, _catalog, _options, _torchThreads, _stats, _logger) = (index, jobs, catalog, options, torchThreads, stats, logger);
        _thread = new Thread(Run) { Name = $"explain-worker-{index}", IsBackground = true };
    }

    /// <summary>Completes when the worker's models are loaded (or faults with the load's exception).</summary>
    public Task Ready => _ready.Task;

    public bool IsAlive => _thread.IsAlive;

    public void Start() => _thread.Start();

    public void Join() => _thread.Join();

    private void Run()
    {
        try
        {
            torch.set_num_threads(_torchThreads); // this thread's OpenMP team (libtorch applies it per thread)
            foreach (var model in _catalog.Models) _models.Add(model.Name, model.Load());
            _ready.SetResult();
        }
        catch (Exception e)
        {
            DisposeAll();
            _ready.SetException(e);
            return;
        }
        try
        {
            while (_jobs.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                while (_jobs.TryRead(out var job)) Serve(job);
        }
        catch (Exception e)
        {
            _stats.CountWorkerCrash();
            _logger.LogCritical(e, "Worker {Worker} stopped", _index);
        }
        finally
        {
            DisposeAll();
        }
    }

    private void Serve(ExplainJob job)
    {
        ExplainOutcome outcome;
        try
        {
            _options.BeforeJob?.Invoke();
            outcome = Explain(job);
        }
        catch (Exception e) when (e is ArgumentException or CamException or NotSupportedException)
        {
            outcome = ExplainOutcome.Failed(400, e.Message);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Worker {Worker} failed on {Model}/{Method}", _index, job.Model.Name, job.Method);
            outcome = ExplainOutcome.Failed(500, $"The explanation failed: {e.Message}");
        }
        finally
        {
            job.Picture.Dispose();
        }
        _stats.Count(outcome.Status);
        job.Completion.TrySetResult(outcome);
    }

    private ExplainOutcome Explain(ExplainJob job)
    {
        var model = _models[job.Model.Name];
        var method = Method(job, model);
        using var scope = NewDisposeScope();
        var input = ImageLoader.ToTensor(job.Picture, job.Model.Preprocessing);
        using var prompts = job.Prompts is null ? null : new ClipPrompts((ClipModel)model, job.Prompts);
        CamTarget? target = prompts is null
            ? job.Target is int k ? CamTarget.Class(k) : null
            : job.Target is int p ? prompts.Prompt(p) : prompts.ZeroShot;
        using var result = method.Explain(input, target);
        var map = result.Maps[0];
        return job.Format == ExplainFormat.MapNpy
            ? ExplainOutcome.Ok(MapEncoding.Npy(map), ExplainRequestParser.NpyMediaType)
            : ExplainOutcome.Ok(MapEncoding.OverlayPng(job.Picture, map), "image/png");
    }

    private ICamMethod Method(ExplainJob job, nn.Module<Tensor, Tensor> model)
    {
        var key = (job.Model.Name, job.Method, job.Layer);
        if (!_methods.TryGetValue(key, out var method))
        {
            var layer = ((CamLayer)job.Layer).WithReshape(job.Model.Layers[job.Layer]);
            method = CamMethods.Create(job.Method, model, [layer], _options.MethodSettings, _logger);
            _methods.Add(key, method);
        }
        return method;
    }

    private void DisposeAll()
    {
        foreach (var method in _methods.Values) method.Dispose();
        _methods.Clear();
        foreach (var model in _models.Values) model.Dispose();
        _models.Clear();
    }
}
