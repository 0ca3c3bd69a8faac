using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DecomCamNet.Imaging;
using DecomCamNet.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace DecomCamNet.ExplainService.Tests;

/// <summary><c>POST /explain</c> of the sample service: the overlay PNG, the <c>.npy</c> map, and each 400 answer.</summary>
public sealed class ExplainEndpointTests(ExplainServiceFixture service) : IClassFixture<ExplainServiceFixture>
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public async Task AnswersTheOverlayPngByDefault()
    {
        using var response = await Post("explain?model=scenenet&method=gradcam", await File.ReadAllBytesAsync(ExplainServiceFixture.SampleImage));
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(PngSignature, body[..8]);
        using var overlay = Image.Load<Rgb24>(body);
        using var sample = Image.Load<Rgb24>(ExplainServiceFixture.SampleImage);
        Assert.Equal((sample.Width, sample.Height), (overlay.Width, overlay.Height)); // SceneNet keeps the image's size
    }

    [Fact]
    public async Task AnswersTheMapAsNpyThatEqualsGradCamRunHere()
    {
        using var response = await Post("explain?model=scenenet&method=gradcam&target=3", await File.ReadAllBytesAsync(ExplainServiceFixture.SampleImage),
            ExplainRequestParser.NpyMediaType);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ExplainRequestParser.NpyMediaType, response.Content.Headers.ContentType?.MediaType);
        var (values, shape) = NpyFile.ReadArray(body);
        Assert.Equal([128L, 128L], shape);
        Assert.All(values, v => Assert.InRange(v, 0f, 1f));
        Assert.True(values.Max() > 0.5f && values.Min() < 0.5f, "a normalised map spans most of [0,1]");

        using var scope = NewDisposeScope();
        using var model = ModelZoo.Create("scenenet");
        StateDictLoader.Load(model, Path.Combine(AppContext.BaseDirectory, "assets", "scenenet.safetensors"));
        using var gradCam = new GradCam(model, ["block4"]);
        using var result = gradCam.Explain(ImageLoader.Load(ExplainServiceFixture.SampleImage, ImagePreprocessing.None), 3);
        var expected = result.Maps[0].data<float>().ToArray();
        Assert.Equal(expected.Length, values.Length);
        Assert.True(values.Zip(expected, (a, b) => Math.Abs(a - b)).Max() <= 1e-4, "the service's map differs from Grad-CAM run in the test");
    }

    [Theory]
    [InlineData("explain?model=nope&method=gradcam", "Unknown model 'nope'")]
    [InlineData("explain?model=scenenet&method=nope", "Unknown method 'nope'")]
    [InlineData("explain?model=scenenet&method=gradcam&layer=block9", "no feature-map layer 'block9'")]
    [InlineData("explain?model=scenenet&method=gradcam&target=8", "Target '8' is not a class of 'scenenet': give an index 0..7")]
    [InlineData("explain?model=scenenet&method=gradcam&target=-1", "Target '-1' is not a class")]
    [InlineData("explain?model=scenenet&method=gradcam&prompt=a%20cat", "'prompt' goes with a CLIP model")]
    [InlineData("explain?method=gradcam", "'model' is required")]
    public async Task RefusesUnknownParametersWith400AndAJsonError(string path, string expected)
    {
        long before = service.Host.Stats.Served;
        using var response = await Post(path, await File.ReadAllBytesAsync(ExplainServiceFixture.SampleImage));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await Error(response));
        Assert.Equal(before, service.Host.Stats.Served); // nothing was explained
    }

    [Theory]
    [InlineData("not an image")]
    [InlineData("")]
    public async Task RefusesABadImageWith400AndAJsonError(string body)
    {
        using var response = await Post("explain?model=scenenet&method=gradcam", System.Text.Encoding.UTF8.GetBytes(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(body.Length == 0 ? "body is empty" : "not an image", await Error(response));
    }

    [Fact]
    public async Task RefusesAnImageLargerThanTheLimitBeforeDecodingIt()
    {
        using var large = new Image<Rgb24>(5000, 4000); // 20 MP > the default 16 MP
        using var png = new MemoryStream();
        await large.SaveAsPngAsync(png);
        using var response = await Post("explain?model=scenenet&method=gradcam", png.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("5000x4000 pixels", await Error(response));
    }

    private async Task<HttpResponseMessage> Post(string path, byte[] body, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        if (accept is not null) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        return await service.Client.SendAsync(request);
    }

    private static async Task<string> Error(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").GetString()!;
    }
}
