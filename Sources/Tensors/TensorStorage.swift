import Foundation

/// A contiguous, 64-byte aligned Float32 buffer owned by one or more tensors (reshape shares it); recycled
/// through `BufferPool` when the last owner goes away.
public final class TensorStorage: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// The storage this one is a view of (nil when it owns its memory).
    private let parent: TensorStorage?

    /// Uninitialised storage for `count` floats (from `BufferPool`).
    public init(count: Int) {
        precondition(count >= 0, "TensorStorage: negative count \(count)")
        self.count = count
        pointer = BufferPool.allocate(Swift.max(count, 1) * MemoryLayout<Float>.stride)
            .bindMemory(to: Float.self, capacity: Swift.max(count, 1))
        parent = nil
    }

    /// A view of `count` floats of `parent` starting at `offset`: it shares (and keeps alive) the parent's
    /// memory, so writes through either are seen by both — e.g. three projection weights that are row
    /// blocks of one fused weight.
    public init(viewing parent: TensorStorage, offset: Int, count: Int) {
        precondition(offset >= 0 && count >= 0 && offset + count <= parent.count,
                     "TensorStorage: view \(offset)..<\(offset + count) outside a storage of \(parent.count)")
        self.count = count
        pointer = parent.pointer + offset
        self.parent = parent
    }

    /// Storage filled with `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(count: count)
        pointer.initialize(repeating: value, count: count)
    }

    deinit { if parent == nil { BufferPool.release(pointer, Swift.max(count, 1) * MemoryLayout<Float>.stride) } }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
}
