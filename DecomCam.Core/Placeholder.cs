namespace DecomCamNet; internal static class Placeholder {}
