/// Shape arithmetic shared by the kernels: element counts, strides, axes and broadcasting.
public enum Shape {
    @inline(__always)
    public static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Row-major strides of a contiguous tensor.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }

    /// Normalises a possibly negative axis, stopping with the op name when it is out of range.
    public static func axis(_ axis: Int, rank: Int, op: String) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < max(rank, 1), "\(op): axis \(axis) out of range for rank \(rank)")
        return a
    }

    /// NumPy/PyTorch broadcast of two shapes, stopping with the op name and both shapes when incompatible.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            precondition(da == db || da == 1 || db == 1, "\(op): shapes \(a) and \(b) do not broadcast")
            out[i] = da == 1 ? db : da
        }
        return out
    }

    /// Strides for reading a tensor of `shape` as if broadcast to `target` (0 on broadcast dimensions).
    public static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = strides(shape)
        let pad = target.count - shape.count
        return (0..<target.count).map { i in
            i < pad || shape[i - pad] == 1 ? 0 : own[i - pad]
        }
    }
}
