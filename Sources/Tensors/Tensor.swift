/// A Float32, contiguous, row-major n-dimensional array that records its ops on the active `Tape`.
///
/// Tensors are reference objects: a parameter keeps its identity while optimizers update its values in
/// place, and the tape keys gradients by that identity. Ops never mutate their inputs.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let storage: TensorStorage
    /// True for trainable leaves (parameters) and for outputs of recorded ops that depend on one.
    public var requiresGrad: Bool

    /// A tensor over existing storage (shared, not copied).
    public init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        precondition(
            shape.allSatisfy { $0 >= 0 } && Shape.count(shape) == storage.count,
            "Tensor: shape \(shape) needs \(Shape.count(shape)) elements, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// Uninitialised tensor (for kernels that write every element).
    public convenience init(uninitialized shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(count: Shape.count(shape)))
    }

    /// A tensor filled with `value`.
    public convenience init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, storage: TensorStorage(count: Shape.count(shape), repeating: value))
    }

    /// Zeros of the given shape.
    public convenience init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }

    /// A tensor holding `values` in row-major order.
    public convenience init(shape: [Int], _ values: [Float]) {
        precondition(
            Shape.count(shape) == values.count, "Tensor: shape \(shape) needs \(Shape.count(shape)) values, got \(values.count)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A 0-d (scalar) tensor.
    public convenience init(_ value: Float) { self.init(shape: [], [value]) }

    /// Normal(mean, std) samples from `generator`.
    public static func randn(
        _ shape: [Int], mean: Float = 0, std: Float = 1, using generator: inout RandomGenerator
    ) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.storage.pointer[i] = mean + std * generator.normal() }
        return t
    }

    /// Uniform[low, high) samples from `generator`.
    public static func uniform(
        _ shape: [Int], low: Float, high: Float, using generator: inout RandomGenerator
    ) -> Tensor {
        let t = Tensor(uninitialized: shape)
        for i in 0..<t.count { t.storage.pointer[i] = generator.uniform(low, high) }
        return t
    }

    public var rank: Int { shape.count }
    public var count: Int { storage.count }
    /// Read-only pointer to the elements.
    public var data: UnsafePointer<Float> { UnsafePointer(storage.pointer) }
    /// Mutable pointer to the elements; only kernels writing a fresh output or optimizers may use it.
    public var mutableData: UnsafeMutablePointer<Float> { storage.pointer }
    /// The elements in row-major order.
    public var scalars: [Float] { Array(storage.buffer) }
    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, expected 1")
        return storage.pointer[0]
    }

    /// Size of dimension `axis` (negative counts from the end).
    public func dim(_ axis: Int) -> Int { shape[Shape.axis(axis, rank: rank, op: "dim")] }

    /// A detached copy with its own storage (not recorded, does not require grad).
    public func copy() -> Tensor {
        let t = Tensor(uninitialized: shape)
        t.storage.pointer.update(from: storage.pointer, count: count)
        return t
    }

    /// The same values, cut from the tape (gradients stop here); shares storage.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Overwrites this tensor's values in place with `other`'s (same element count); not recorded.
    public func assign(_ other: Tensor) {
        precondition(other.shape == shape, "assign: shape \(shape) vs \(other.shape)")
        storage.pointer.update(from: other.storage.pointer, count: count)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
