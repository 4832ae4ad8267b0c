import NN
import Tensors

/// The rows and columns of an image's region grid (regions in row-major order).
public struct RegionGrid: Equatable, Sendable {
    public var height: Int, width: Int

    public init(height: Int, width: Int) {
        precondition(height > 0 && width > 0, "RegionGrid: needs at least one row and one column, got \(height)×\(width)")
        (self.height, self.width) = (height, width)
    }

    /// Regions in the grid.
    public var count: Int { height * width }
}

/// Self-attention among an image's regions with a fixed bias by their distance on the grid — ALiBi (Press et
/// al., 2022) in two dimensions — then a post-norm residual: `norm(regions + attention(regions))`. Head h adds
/// −slopeₕ · ‖cellᵢ − cellⱼ‖ (in cells) to its scores; `slopes(heads:)` gives one head no bias, heads that favour
/// near regions and heads that favour far ones, and every biased head skips the region itself. So "the object
/// closest to (furthest from) this one" is one hop for the region that knows it is "this one", where from
/// features alone the model has to learn distances from coordinates first.
/// Keys: `attention.*` (`nn.MultiheadAttention`'s), `norm.weight`, `norm.bias`.
public final class RegionSelfAttention: Module {
    public let attention: MultiheadAttention
    public let norm: LayerNorm
    public let grid: RegionGrid
    /// The additive distance bias [heads, R, R] (a constant).
    public let bias: Tensor

    public init(width: Int, heads: Int, grid: RegionGrid, dropout: Float = 0) {
        attention = MultiheadAttention(embedDim: width, heads: heads, dropout: dropout)
        norm = LayerNorm(width)
        self.grid = grid
        bias = Self.distanceBias(grid: grid, slopes: Self.slopes(heads: heads))
        super.init()
        register(module: "attention", attention)
        register(module: "norm", norm)
    }

    /// The heads' slopes: 0, then ½, 1, 2, 4, … (near regions first) for the first half of the rest and −½, −1,
    /// −2, … (far regions first) for the second: 8 heads give 0, ½, 1, 2, 4, −½, −1, −2.
    public static func slopes(heads: Int) -> [Float] {
        let near = heads / 2, far = heads - 1 - near
        return [0] + (0..<near).map { 0.5 * Float(1 << $0) } + (0..<far).map { -0.5 * Float(1 << $0) }
    }

    /// [slopes.count, R, R]: −slope · distance between the cells of regions i and j, −∞ on the diagonal of
    /// every head with a slope.
    public static func distanceBias(grid: RegionGrid, slopes: [Float]) -> Tensor {
        let r = grid.count
        let out = Tensor(zeros: [slopes.count, r, r])
        let p = out.mutableData
        for (h, slope) in slopes.enumerated() {
            for i in 0..<r {
                for j in 0..<r {
                    let dx = Float(i % grid.width - j % grid.width), dy = Float(i / grid.width - j / grid.width)
                    p[(h * r + i) * r + j] = i == j && slope != 0 ? -.infinity : -slope * (dx * dx + dy * dy).squareRoot()
                }
            }
        }
        return out
    }

    /// Regions [B, R, width] (R = the grid's regions) attending to each other; `paddingMask` [B, R] is `true`
    /// for regions to ignore.
    public func callAsFunction(_ regions: Tensor, paddingMask: Mask? = nil) -> Tensor {
        precondition(regions.rank == 3 && regions.shape[1] == grid.count,
                     "RegionSelfAttention: regions must be [B, \(grid.count), width] for a \(grid.height)×\(grid.width) grid, got \(regions.shape)")
        let attended = attention(regions, regions, regions, keyPaddingMask: paddingMask, attentionMask: .additive(bias))
        return norm(regions, adding: attended.output)
    }
}
