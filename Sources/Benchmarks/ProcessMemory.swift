import Foundation

/// This process's resident memory from /proc/self/status (Linux); zero where unavailable.
public enum ProcessMemory {
    /// Current resident set size (VmRSS), KiB.
    public static var residentKiB: Int { field("VmRSS:") }

    /// Peak resident set size since start or the last `resetPeak()` (VmHWM), KiB.
    public static var peakKiB: Int { field("VmHWM:") }

    /// Resets the peak to the current resident set (writes 5 to /proc/self/clear_refs, Linux ≥ 4.0).
    public static func resetPeak() {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return }
        handle.write(Data("5".utf8))
        try? handle.close()
    }

    private static func field(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
    }
}
