namespace DecomCamNet.ExplainService;

/// <summary>A request the service will not run (bad image, unknown model, method, layer or target); answered 400 with the message.</summary>
public sealed class BadRequestException(string message) : Exception(message);
