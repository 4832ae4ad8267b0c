import Foundation
import Imaging

/// The files every experiment report writes: `results.json` and the per-model loss and metric curves.
enum ExperimentFiles {
    /// Writes `runs` as `results.json`, their smoothed losses as `loss-curves.png` and one metric curve per run
    /// (`[step, fraction]` points, drawn in %) as `curveFile`, all into `directory`.
    static func write<Run: Encodable>(
        _ runs: [Run], to directory: URL, name: (Run) -> String, losses: (Run) -> [[Double]],
        curve: (Run) -> [[Double]], curveTitle: String, curveFile: String
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
        try PNG.write(chart(curveTitle) { curve($0).map { ($0[0], 100 * $0[1]) } }, to: directory.appendingPathComponent(curveFile))
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
