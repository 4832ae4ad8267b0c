import Tensors

/// A second look relative to the first: in each co-attention layer after the first, the question's attention over
/// the regions is biased by each region's distance on the grid from where that text token looked in the layer
/// before (the centroid p of its head-averaged attention), and away from the regions it looked at. Head h adds
/// −slopeₕ · ‖cellⱼ − p‖ − `skip` · aⱼ / maxₖ aₖ (a: the earlier weights; the skip on heads with a slope only),
/// with `RegionSelfAttention.slopes`: one head unbiased, heads that favour regions near p, heads that favour far
/// ones. So "the object closest to (furthest from) the red one" is one hop for a question that found the red
/// object in the first layer — near heads would otherwise land on the red object's own cells, the nearest to p.
/// The bias is a constant built from the earlier weights' values (no gradient flows through it); it has no
/// parameters.
public struct TextPointerBias: Equatable, Sendable {
    public let grid: RegionGrid
    /// Subtracted, scaled by the earlier weight over the row's largest, on the heads with a slope.
    public let skip: Float

    public init(grid: RegionGrid, skip: Float = 8) {
        precondition(skip >= 0, "TextPointerBias: skip must be at least 0, got \(skip)")
        (self.grid, self.skip) = (grid, skip)
    }

    /// The additive attention mask [B·heads, T, R] for text attending to regions, from the layer before's
    /// head-averaged text→region weights [B, T, R].
    public func callAsFunction(previousWeights w: Tensor, heads: Int) -> Tensor {
        let r = grid.count
        precondition(w.rank == 3 && w.shape[2] == r,
                     "TextPointerBias: weights must be [B, T, \(r)] for a \(grid.height)×\(grid.width) grid, got \(w.shape)")
        let (b, t) = (w.shape[0], w.shape[1])
        let slopes = RegionSelfAttention.slopes(heads: heads)
        let out = Tensor(uninitialized: [b * heads, t, r])
        let pw = w.data, po = out.mutableData
        let distance = UnsafeMutablePointer<Float>.allocate(capacity: 2 * r)
        defer { distance.deallocate() }
        let seen = distance + r
        for bi in 0..<b {
            for ti in 0..<t {
                let a = pw + (bi * t + ti) * r
                var (px, py, largest): (Float, Float, Float) = (0, 0, 0)
                for j in 0..<r {
                    px += a[j] * Float(j % grid.width)
                    py += a[j] * Float(j / grid.width)
                    largest = max(largest, a[j])
                }
                for j in 0..<r {
                    let dx = Float(j % grid.width) - px, dy = Float(j / grid.width) - py
                    distance[j] = (dx * dx + dy * dy).squareRoot()
                    seen[j] = largest > 0 ? skip * a[j] / largest : 0
                }
                for (h, slope) in slopes.enumerated() {
                    let row = po + ((bi * heads + h) * t + ti) * r
                    for j in 0..<r { row[j] = slope == 0 ? 0 : -slope * distance[j] - seen[j] }
                }
            }
        }
        return out
    }
}
