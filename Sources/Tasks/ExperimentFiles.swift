import Foundation
import Imaging

/// The files every experiment report writes: `results.json` and the per-model loss and metric curves.
enum ExperimentFiles {
    /// A chart of one metric per run: `[x, fraction]` points, drawn in %.
    struct Curve<Run> {
        var title: String
        var file: String
        var points: (Run) -> [[Double]]
    }

    /// Writes `runs` as `results.json`, their smoothed losses as `loss-curves.png` and each of `curves`, all
    /// into `directory`.
    static func write<Run: Encodable>(
        _ runs: [Run], to directory: URL, name: (Run) -> String, losses: (Run) -> [[Double]], curves: [Curve<Run>]
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(runs).write(to: directory.appendingPathComponent("results.json"), options: .atomic)
        func chart(_ title: String, _ points: (Run) -> [(x: Double, y: Double)]) -> RGBImage {
            let colors = LineChart.palette
            let series = runs.enumerated().map { i, run in
                LineChart.Series(name: name(run), color: colors[i % colors.count], points: points(run))
            }
            return LineChart(title: title, series: series).render()
        }
        try PNG.write(chart("training loss") { smoothed(losses($0)) }, to: directory.appendingPathComponent("loss-curves.png"))
        for curve in curves {
            try PNG.write(chart(curve.title) { curve.points($0).map { ($0[0], 100 * $0[1]) } },
                          to: directory.appendingPathComponent(curve.file))
        }
    }

    /// Mean over windows of ~1/100 of the run, so the curve shows the trend rather than batch noise.
    static func smoothed(_ points: [[Double]]) -> [(x: Double, y: Double)] {
        let window = max(1, points.count / 100)
        return stride(from: 0, to: points.count, by: window).map { start in
            let chunk = points[start..<min(start + window, points.count)]
            return (chunk.last![0], chunk.map { $0[1] }.reduce(0, +) / Double(chunk.count))
        }
    }
}
