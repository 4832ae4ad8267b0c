import Foundation

/// What `sort-of-clevr reproduce` prints and writes: the comparison table, `results.json`, and loss and
/// accuracy curves.
public enum SortOfCLEVRReport {
    /// Relational and non-relational test accuracy per model and per question kind, wall time, parameters, and
    /// the seconds of training each model needed to first reach 95% non-relational and 90% / 95% relational
    /// accuracy ("—": not reached).
    public static func table(_ runs: [SortOfCLEVRRun]) -> String {
        let kinds = QuestionKind.allCases
        var lines = ["model              relational  non-rel." + kinds.map { " " + $0.rawValue.leftPadded(10) }.joined()
                     + "  time (s)  parameters  to 95% non-rel.  90% rel.  95% rel. (s)"]
        for run in runs {
            var line = run.model.padding(toLength: 17, withPad: " ", startingAt: 0)
            line += String(format: "  %8.1f%%  %7.1f%%", 100 * run.accuracy(relational: true), 100 * run.accuracy(relational: false))
            line += kinds.map { String(format: " %9.1f%%", 100 * run.accuracy(of: $0)) }.joined()
            line += String(format: "  %7.0f  %10d", run.seconds, run.parameters)
            let reached = [(0.95, false), (0.90, true), (0.95, true)].map { target, relational in
                run.secondsUntil(target, relational: relational).map { String(format: "%.0f", $0) } ?? "—"
            }
            line += "  " + reached[0].leftPadded(15) + reached[1].leftPadded(10) + reached[2].leftPadded(10)
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// Writes `results.json`, `loss-curves.png` and the accuracy-vs-wall-time curves `relational-curves.png`
    /// and `non-relational-curves.png` into `directory`.
    public static func write(_ runs: [SortOfCLEVRRun], to directory: URL) throws {
        try ExperimentFiles.write(runs, to: directory, name: \.model, losses: \.losses, curves: [
            .init(title: "relational test accuracy (%) vs seconds", file: "relational-curves.png") { $0.evaluations.map { [$0[1], $0[2]] } },
            .init(title: "non-relational test accuracy (%) vs seconds", file: "non-relational-curves.png") { $0.evaluations.map { [$0[1], $0[3]] } },
        ])
    }
}

private extension String {
    /// The string right-aligned in `width` columns.
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
