import Foundation

/// Where the time of differentiated code goes, op by op: `OpProfile.measure { valueAndGrad(…) }` adds up, for
/// each op that records itself on the tape (named by the recording function), the forward time — the time
/// since the previous op recorded itself, so the Swift between two ops counts with the second — and the time
/// of its backward closure, plus the tape's summing of gradients of tensors used more than once ("gradient
/// accumulation"). Ops that record nothing (inference, optimizer updates) are not seen: time those around.
public final class OpProfile {
    /// Seconds and calls of one op kind in one direction.
    public struct Entry: Sendable {
        public var seconds: Double = 0, calls = 0
    }

    nonisolated(unsafe) static var active: OpProfile?
    public private(set) var forward: [String: Entry] = [:], backward: [String: Entry] = [:]
    private var last: UInt64 = 0

    public init() {}

    /// Runs `body` with this profile collecting.
    public func measure<R>(_ body: () throws -> R) rethrows -> R {
        precondition(Self.active == nil, "OpProfile.measure: another profile is already collecting")
        Self.active = self
        defer { Self.active = nil }
        last = now()
        return try body()
    }

    @inline(__always)
    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func forwardDone(_ op: StaticString) {
        let t = now()
        forward[Self.name(op), default: Entry()].add(Double(t - last) / 1e9)
        last = t
    }

    func add(backward op: StaticString, since start: UInt64) {
        backward[Self.name(op), default: Entry()].add(Double(now() - start) / 1e9)
    }

    /// "linear(_:weight:bias:)" → "linear".
    static func name(_ op: StaticString) -> String {
        let full = op.description
        return full.firstIndex(of: "(").map { String(full[..<$0]) } ?? full
    }
}

extension OpProfile.Entry {
    mutating func add(_ s: Double) {
        seconds += s
        calls += 1
    }
}
