import OwnData

/// What `fashion-scenes reproduce` prints and charts: hard-negative matching and retrieval per model
/// (`FashionScenesSource.evaluation`'s figures).
public enum FashionScenesReport {
    /// The matching-accuracy chart beside `loss-curves.png`.
    public static let curves = [
        ModelComparison.Curve(title: "swapped-position matching accuracy (%) vs seconds", metric: "swapped_positions", file: "matching-curves.png"),
    ]

    /// Hard-negative matching and retrieval per model, wall time and parameters.
    public static func table(_ records: [ModelComparison.Record]) -> String {
        let columns = ["swapped_positions", "swapped_items", "i2t_r1", "i2t_r5", "i2t_r10", "t2i_r1", "t2i_r5", "t2i_r10"]
        let widths = [10, 11, 10, 7, 7, 10, 7, 7]
        var lines = ["model             swap-pos  swap-item   i→t R@1   R@5  R@10   t→i R@1   R@5  R@10  time (s)  parameters"]
        for record in records {
            var line = record.model.padding(toLength: 16, withPad: " ", startingAt: 0)
            line += zip(columns, widths).map { key, width in String(format: "%.1f%%", 100 * (record.metrics[key] ?? .nan)).leftPadded(width) }.joined()
            line += String(format: "  %8.0f  %10d", record.seconds, record.parameters)
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
