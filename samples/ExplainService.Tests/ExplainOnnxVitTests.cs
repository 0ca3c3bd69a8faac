using System.Net;
using System.Net.Http.Headers;
using DecomCamNet.Imaging;
using DecomCamNet.Onnx;
using static TorchSharp.torch;

namespace DecomCamNet.ExplainService.Tests;

/// <summary>
/// The service with an ONNX ViT (the library tests' reduced Hugging Face-style export, 32×32 inputs): a request that
/// names no layer gets the model's default token layer with its inferred reshape, and its map equals Grad-CAM run here.
/// </summary>
public sealed class ExplainOnnxVitTests
{
    private static string Vit => Path.Combine(AppContext.BaseDirectory, "assets", "vit_hf_opset17.onnx");

    [Fact]
    public async Task ARequestWithoutALayerExplainsTheDefaultTokenLayerAsGradCamHere()
    {
        using var host = ExplainServiceHost.Start(new ExplainServiceOptions { Workers = 1, TorchThreadsPerWorker = get_num_threads(), OnnxModel = Vit });
        using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        byte[] image = await File.ReadAllBytesAsync(ExplainServiceFixture.SampleImage);
        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var request = new HttpRequestMessage(HttpMethod.Post, "explain?model=onnx&method=gradcam&target=3") { Content = content };
        request.Headers.Accept.ParseAdd(ExplainRequestParser.NpyMediaType);
        using var response = await client.SendAsync(request);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, System.Text.Encoding.UTF8.GetString(body));
        var (values, shape) = NpyFile.ReadArray(body);
        Assert.Equal([32L, 32L], shape);

        using var scope = NewDisposeScope();
        using var model = OnnxModel.Load(Vit);
        var layer = model.DefaultLayer([1, 3, 32, 32]);
        Assert.Equal(new ActivationReshape(ActivationLayout.Tokens, 1, 4, 4), layer.Reshape);
        using var gradCam = new GradCam(model, [((CamLayer)layer.NodeName).WithReshape(layer.Reshape!)]);
        var input = ImageLoader.Load(ExplainServiceFixture.SampleImage, ImagePreprocessing.ImageNet with { Resize = 32, CenterCrop = 32 });
        using var result = gradCam.Explain(input, 3);
        var expected = result.Maps[0].data<float>().ToArray();
        Assert.True(expected.Max() - expected.Min() > 0.5f, "Grad-CAM's map here is flat");
        Assert.True(values.Zip(expected, (a, b) => Math.Abs(a - b)).Max() <= 1e-4, "the service's map differs from Grad-CAM on the default token layer");
    }
}
