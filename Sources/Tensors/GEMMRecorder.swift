import Foundation

/// The shapes of the `BLAS.sgemm` calls made while `record` runs, so that a workload's matrix products can be
/// replayed alone (`GEMMReplay`): the time no other op's speed-up can take away.
public final class GEMMRecorder: @unchecked Sendable {
    /// One call's operands' shapes and layout, and how many BLAS threads it ran with (1 inside
    /// `BLAS.singleThreaded` loops, such as attention's per-(batch, head) products).
    public struct Call: Sendable, Hashable {
        public let transA: Bool, transB: Bool
        public let m: Int, n: Int, k: Int, lda: Int, ldb: Int, ldc: Int
        public let beta: Float
        public let threads: Int

        /// Multiply-adds counted twice: 2·m·n·k.
        public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    nonisolated(unsafe) static var active: GEMMRecorder?
    private let lock = NSLock()
    private var recorded: [Call] = []

    public init() {}

    /// The calls recorded so far, in the order they were made (calls from parallel loops interleave).
    public var calls: [Call] { lock.withLock { recorded } }

    /// Runs `body` with this recorder collecting every `BLAS.sgemm` call.
    public func record<R>(_ body: () throws -> R) rethrows -> R {
        precondition(Self.active == nil, "GEMMRecorder.record: another recorder is already collecting")
        Self.active = self
        defer { Self.active = nil }
        return try body()
    }

    func add(_ call: Call) { lock.withLock { recorded.append(call) } }
}
