namespace DecomCamNet.Detection;

/// <summary>How a dense YOLO-style detector lays out its output tensor.</summary>
public enum DetectionLayout
{
    /// <summary>
    /// YOLOv8 (and later Ultralytics heads, anchor-free): <c>[N, 4+K, A]</c>, per anchor the box centre x, centre y,
    /// width and height in input pixels, then K class scores (already probabilities).
    /// </summary>
    YoloV8,

    /// <summary>
    /// YOLOv5: <c>[N, A, 5+K]</c>, per anchor the box centre x, centre y, width and height in input pixels, the
    /// objectness, then K class probabilities; a class's score is its probability times the objectness.
    /// </summary>
    YoloV5,
}
