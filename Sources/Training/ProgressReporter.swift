import Foundation

/// Training progress on stderr: on a terminal a single status line (bar, step/total, ETA, loss, lr and the
/// latest evaluation's metrics) redrawn in place; otherwise a plain line every `logEvery` steps (and at the
/// last step).
public final class ProgressReporter {
    /// How progress is shown.
    public enum Style: Sendable { case bar, lines, silent }

    public let style: Style
    private let write: (String) -> Void
    private var lastDraw = -Double.infinity
    private var barShown = false

    /// `style` defaults to `.bar` when stderr is a terminal and `.lines` otherwise; `write` receives the text.
    public init(style: Style? = nil, write: @escaping (String) -> Void = ProgressReporter.standardError) {
        self.style = style ?? (isatty(STDERR_FILENO) != 0 ? .bar : .lines)
        self.write = write
    }

    /// Writes to the process's stderr.
    public static func standardError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// Reports step `step` of `total` (1-based). `startStep` and `elapsed` (seconds since this run started
    /// at step `startStep`) give the ETA; `metrics` (the latest evaluation, fractions) are shown in %, except
    /// nested ones (a `/` in the name, e.g. `group:relational/closest`), which stay in metrics.jsonl.
    public func update(step: Int, total: Int, startStep: Int, elapsed: Double, loss: Float, learningRate: Float,
                       gradNorm: Float, skipped: Bool, logEvery: Int, metrics: [String: Double] = [:]) {
        let done = step - startStep
        let eta = done > 0 ? elapsed / Double(done) * Double(total - step) : .nan
        let figures = "loss \(Self.format(loss)) lr \(Self.format(learningRate)) ETA \(Self.duration(eta))"
            + metrics.keys.filter { !$0.contains("/") }.sorted().map { String(format: " %@ %.1f%%", $0, 100 * metrics[$0]!) }.joined()
        switch style {
        case .silent: return
        case .bar:
            guard elapsed - lastDraw >= 0.1 || step == total || skipped else { return }
            lastDraw = elapsed
            let width = 24, filled = total > 0 ? width * step / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r\u{1B}[2K[\(bar)] \(step)/\(total) \(figures)" + (step == total ? "\n" : ""))
            barShown = step != total
        case .lines:
            guard step % logEvery == 0 || step == total || skipped else { return }
            write("step \(step)/\(total) \(figures) grad_norm \(Self.format(gradNorm))"
                  + " elapsed \(Self.duration(elapsed))\(skipped ? " (skipped: non-finite)" : "")\n")
        }
    }

    /// A one-off message (warnings, resume notices) on its own line, clearing a status line first.
    public func message(_ text: String) {
        guard style != .silent else { return }
        write((barShown ? "\r\u{1B}[2K" : "") + text + "\n")
        barShown = false
    }

    static func format(_ x: Float) -> String {
        guard x.isFinite else { return "\(x)" }
        return x != 0 && (abs(x) < 1e-3 || abs(x) >= 1e4) ? String(format: "%.3e", x) : String(format: "%.4f", x)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
