import Tensors

/// What an image encoder returns for a batch of N images.
public struct ImageFeatures {
    /// The last feature map as region tokens [N, h·w, D], row-major over the grid (49 tokens at 224 px).
    public let regions: Tensor
    /// The spatial mean of the feature map [N, D].
    public let pooled: Tensor
    /// Classifier outputs [N, classes].
    public let logits: Tensor

    public init(regions: Tensor, pooled: Tensor, logits: Tensor) {
        (self.regions, self.pooled, self.logits) = (regions, pooled, logits)
    }

    /// Features of a feature map [N, D, h, w], with `classifier` applied to the pooled vector.
    init(featureMap map: Tensor, classifier: (Tensor) -> Tensor) {
        let (n, d, h, w) = (map.shape[0], map.shape[1], map.shape[2], map.shape[3])
        let flat = reshape(map, [n, d, h * w])
        pooled = mean(flat, axes: [2])
        regions = transpose(flat, 1, 2)
        logits = classifier(pooled)
    }
}
