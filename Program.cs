using System.Diagnostics;
using DecomCamNet;
using TorchSharp;
using static TorchSharp.torch;
LibTorchBackends.GuardAgainstUnknownCpuCaches();
var x = randn(1, 3, 224, 224);
void T(string n, Action a) { a(); var sw = Stopwatch.StartNew(); for (int i = 0; i < 3; i++) a(); Console.WriteLine($"{n}: {sw.Elapsed.TotalMilliseconds / 3:F1} ms"); }
T("blur", () => { using var s = NewDisposeScope(); GaussianBlur.Apply(x, 10); });
var o = rand(1, 10, 7, 7);
T("bicubic", () => { using var s = NewDisposeScope(); CamKernels.Resize(o, 224, 224, InterpolationMode.Bicubic); });
var d = randn(1, 49, 500);
T("pca", () => { using var s = NewDisposeScope(); Pca.Project(d, 10); });
var model = DecomCamNet.Models.ModelZoo.Create("resnet18");
var b = randn(11, 3, 224, 224);
T("fwd11", () => { using var s = NewDisposeScope(); using var ng = no_grad(); model.call(b); });
