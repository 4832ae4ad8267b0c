import Foundation

/// Reuse of freed tensor buffers, so a training step that allocates the same shapes every iteration stops
/// paying for `posix_memalign`/`free` and, for large buffers, for fresh pages (mmap, page faults, munmap).
///
/// Buffers of at least `minimumPooledBytes` are rounded up to a size class (four per power of two, so at most
/// 25% slack) and, when freed, kept on that class's free list up to `limitBytes` in total; smaller ones go
/// straight to the allocator. Thread-safe (one lock); the contents of a reused buffer are arbitrary, which
/// `Tensor(uninitialized:)` already allows.
public enum BufferPool {
    /// Buffers smaller than this are not pooled (the allocator's own caches serve them well).
    public static let minimumPooledBytes = 16 << 10
    /// Most bytes kept on the free lists; a freed buffer beyond this is returned to the system.
    nonisolated(unsafe) public static var limitBytes = 1 << 30

    nonisolated(unsafe) private static var free: [Int: [UnsafeMutableRawPointer]] = [:]
    nonisolated(unsafe) private static var cachedBytes = 0
    private static let lock = NSLock()

    /// Bytes currently kept for reuse.
    public static var cached: Int { lock.withLock { cachedBytes } }

    /// Returns every kept buffer to the system.
    public static func drain() {
        lock.withLock {
            for list in free.values { for p in list { Foundation.free(p) } }
            free.removeAll()
            cachedBytes = 0
        }
    }

    /// The capacity actually allocated for a request of `bytes`.
    static func sizeClass(_ bytes: Int) -> Int {
        guard bytes >= minimumPooledBytes else { return Swift.max(bytes, 64) }
        let top = Int.bitWidth - 1 - (bytes - 1).leadingZeroBitCount  // 2^top < bytes ≤ 2^(top+1)
        let quarter = 1 << (top - 2)
        return (bytes + quarter - 1) / quarter * quarter
    }

    /// A 64-byte aligned buffer of `sizeClass(bytes)` bytes.
    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        let size = sizeClass(bytes)
        if size >= minimumPooledBytes, let p = lock.withLock({ () -> UnsafeMutableRawPointer? in
            guard let p = free[size]?.popLast() else { return nil }
            cachedBytes -= size
            return p
        }) {
            return p
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, size) == 0, let raw else {
            fatalError("BufferPool: cannot allocate \(size) bytes")
        }
        return raw
    }

    /// Gives back a buffer from `allocate(bytes)`.
    static func release(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
        let size = sizeClass(bytes)
        if size >= minimumPooledBytes {
            let kept = lock.withLock { () -> Bool in
                guard cachedBytes + size <= limitBytes else { return false }
                free[size, default: []].append(p)
                cachedBytes += size
                return true
            }
            if kept { return }
        }
        Foundation.free(p)
    }
}
