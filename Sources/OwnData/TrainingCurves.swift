import Foundation
import Imaging
import Training

/// The PNG curves of a run: `loss-curve.png` (training loss, averaged over windows of ~1/100 of the run) and
/// `metrics-curve.png` (every evaluation metric in %, against the step).
public enum TrainingCurves {
    public static func write(_ records: [MetricsRecord], to directory: URL) throws {
        let window = max(1, records.count / 100)
        let loss = stride(from: 0, to: records.count, by: window).map { start -> (x: Double, y: Double) in
            let chunk = records[start..<min(start + window, records.count)]
            return (Double(chunk.last!.step), chunk.map { Double($0.loss) }.reduce(0, +) / Double(chunk.count))
        }
        let colors = LineChart.palette
        try PNG.write(LineChart(title: "training loss", series: [.init(name: "loss", color: colors[0], points: loss)]).render(),
                      to: directory.appendingPathComponent("loss-curve.png"))
        let names = Set(records.flatMap(\.eval.keys)).sorted()
        guard !names.isEmpty else { return }
        let series = names.enumerated().map { i, name in
            LineChart.Series(name: name, color: colors[i % colors.count],
                             points: records.compactMap { r in r.eval[name].map { (Double(r.step), 100 * $0) } })
        }
        try PNG.write(LineChart(title: "validation metrics (%) vs step", series: series).render(),
                      to: directory.appendingPathComponent("metrics-curve.png"))
    }
}
