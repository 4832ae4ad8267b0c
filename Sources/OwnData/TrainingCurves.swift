import Foundation
import Imaging
import Training

/// The PNG curves of a run: `loss-curve.png` (training loss, averaged over windows of ~1/100 of the run) and
/// `metrics-curve.png` (every evaluation metric in %, against the step; nested ones, with a `/` in the name,
/// left out).
public enum TrainingCurves {
    public static func write(_ records: [MetricsRecord], to directory: URL) throws {
        let loss = smoothed(records.map { [Double($0.step), Double($0.loss)] })
        let colors = LineChart.palette
        try PNG.write(LineChart(title: "training loss", series: [.init(name: "loss", color: colors[0], points: loss)]).render(),
                      to: directory.appendingPathComponent("loss-curve.png"))
        let names = Set(records.flatMap(\.eval.keys)).filter { !$0.contains("/") }.sorted()
        guard !names.isEmpty else { return }
        let series = names.enumerated().map { i, name in
            LineChart.Series(name: name, color: colors[i % colors.count],
                             points: records.compactMap { r in r.eval[name].map { (Double(r.step), 100 * $0) } })
        }
        try PNG.write(LineChart(title: "validation metrics (%) vs step", series: series).render(),
                      to: directory.appendingPathComponent("metrics-curve.png"))
    }

    /// [step, loss] points averaged over windows of ~1/100 of the run, so a curve shows the trend rather than
    /// batch noise.
    static func smoothed(_ points: [[Double]]) -> [(x: Double, y: Double)] {
        let window = max(1, points.count / 100)
        return stride(from: 0, to: points.count, by: window).map { start in
            let chunk = points[start..<min(start + window, points.count)]
            return (chunk.last![0], chunk.map { $0[1] }.reduce(0, +) / Double(chunk.count))
        }
    }
}
