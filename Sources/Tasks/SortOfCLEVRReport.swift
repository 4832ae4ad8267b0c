import OwnData

/// What `sort-of-clevr reproduce` prints and charts: test accuracy per model, relational and non-relational
/// (evaluation groups `relational` and `non-relational`) and per question kind.
public enum SortOfCLEVRReport {
    /// The accuracy-vs-wall-time charts beside `loss-curves.png`.
    public static let curves = [
        ModelComparison.Curve(title: "relational test accuracy (%) vs seconds", metric: "group:relational", file: "relational-curves.png"),
        ModelComparison.Curve(title: "non-relational test accuracy (%) vs seconds", metric: "group:non-relational", file: "non-relational-curves.png"),
    ]

    /// Relational and non-relational test accuracy per model and per question kind, wall time, parameters, and
    /// the seconds of training each model needed to first reach 95% non-relational and 90% / 95% relational
    /// accuracy ("—": not reached).
    public static func table(_ records: [ModelComparison.Record]) -> String {
        let kinds = QuestionKind.allCases
        var lines = ["model              relational  non-rel." + kinds.map { " " + $0.rawValue.leftPadded(10) }.joined()
                     + "  time (s)  parameters  to 95% non-rel.  90% rel.  95% rel. (s)"]
        for record in records {
            func percent(_ group: String) -> String { String(format: "%.1f%%", 100 * (record.metrics["group:" + group] ?? .nan)) }
            var line = record.model.padding(toLength: 17, withPad: " ", startingAt: 0)
            line += percent("relational").leftPadded(11) + percent("non-relational").leftPadded(10)
            line += kinds.map { " " + percent(SortOfCLEVRSource.group($0)).leftPadded(10) }.joined()
            line += String(format: "  %7.0f  %10d", record.seconds, record.parameters)
            let reached = [(0.95, "non-relational"), (0.90, "relational"), (0.95, "relational")].map { target, group in
                record.secondsUntil(target, metric: "group:" + group).map { String(format: "%.0f", $0) } ?? "—"
            }
            line += "  " + reached[0].leftPadded(15) + reached[1].leftPadded(10) + reached[2].leftPadded(10)
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// The string right-aligned in `width` columns.
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
