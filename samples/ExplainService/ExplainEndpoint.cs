using System.Globalization;
using Microsoft.AspNetCore.Routing;

namespace DecomCamNet.ExplainService;

/// <summary>
/// <c>POST /explain</c>: checks the request on the request thread (<see cref="ExplainRequestParser"/>), queues it for a
/// worker, and answers with the worker's PNG or <c>.npy</c>; 400 with <c>{ "error": "..." }</c> for a bad request, 503
/// with <c>Retry-After</c> when the queue is full.
/// </summary>
public static class ExplainEndpoint
{
    /// <summary>Maps the endpoint on <paramref name="routes"/>.</summary>
    public static IEndpointConventionBuilder MapExplain(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/explain", Handle);

    private static async Task<IResult> Handle(HttpRequest request, ExplainRequestParser parser, WorkerPool pool, ServiceStats stats,
        ExplainServiceOptions options, CancellationToken aborted)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, aborted);
        ExplainJob job;
        try
        {
            job = parser.Parse(request.Query, request.Headers.Accept.ToString(), body.ToArray());
        }
        catch (BadRequestException e)
        {
            stats.Count(400);
            return Error(400, e.Message);
        }
        if (!pool.TryEnqueue(job))
        {
            job.Picture.Dispose();
            stats.Count(503);
            request.HttpContext.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Error(503, $"All {options.Workers} workers are busy and {options.QueueCapacity} requests are waiting; retry later.");
        }
        var outcome = await job.Completion.Task;
        return outcome.Body is { } bytes ? Results.Bytes(bytes, outcome.ContentType) : Error(outcome.Status, outcome.Error!);
    }

    private static IResult Error(int status, string message) => Results.Json(new ErrorBody(message), statusCode: status);

    /// <summary>The JSON body of an error answer.</summary>
    /// <param name="Error">What was wrong, naming the bad value.</param>
    public sealed record ErrorBody(string Error);
}
