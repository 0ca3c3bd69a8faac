using DecomCamNet.ExplainService;

// dotnet run --project samples/ExplainService -c Release --urls http://127.0.0.1:5000 (see README, "A service")
ExplainServiceApp.Build(args).Run();
