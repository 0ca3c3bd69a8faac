namespace DecomCamNet.Methods; internal static class Placeholder {}
