import Foundation

/// A contiguous, 64-byte aligned Float32 buffer owned by one or more tensors (reshape shares it).
public final class TensorStorage: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    /// Uninitialised storage for `count` floats.
    public init(count: Int) {
        precondition(count >= 0, "TensorStorage: negative count \(count)")
        self.count = count
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("TensorStorage: cannot allocate \(bytes) bytes")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Storage filled with `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(count: count)
        pointer.initialize(repeating: value, count: count)
    }

    deinit { free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: pointer, count: count) }
}
