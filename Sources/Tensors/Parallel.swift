import Dispatch

/// Work splitting across the machine's cores for loops outside BLAS.
public enum Parallel {
    /// Cores used by `forEach` (defaults to the active processor count).
    nonisolated(unsafe) public static var cores = ProcessInfo.processInfo.activeProcessorCount

    /// Runs `body(range)` over `0..<count` in contiguous chunks, in parallel when the work is large.
    /// `grain` is the smallest chunk worth a thread (in iterations).
    @inline(__always)
    public static func forEach(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
        let chunks = min(cores, count / max(grain, 1))
        if chunks <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        let per = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * per, hi = min(count, lo + per)
            if lo < hi { body(lo..<hi) }
        }
    }
}

import Foundation
