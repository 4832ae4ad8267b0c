import Encoders
import Foundation
import Imaging
import Tensors

/// What `sort-of-clevr reproduce` prints and writes: the comparison table, `results.json`, loss and accuracy
/// curves, and attention heatmaps.
public enum SortOfCLEVRReport {
    /// Relational and non-relational test accuracy per model and per question kind, wall time, parameters, and
    /// the seconds of training each model needed to first reach 95% non-relational and 90% / 95% relational
    /// accuracy ("—": not reached).
    public static func table(_ runs: [SortOfCLEVRRun]) -> String {
        let kinds = QuestionKind.allCases
        var lines = ["model              relational  non-rel." + kinds.map { " " + $0.rawValue.leftPadded(10) }.joined()
                     + "  time (s)  parameters  to 95% non-rel.  90% rel.  95% rel. (s)"]
        for run in runs {
            let e = run.evaluation
            var line = run.kind.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)
            line += String(format: "  %8.1f%%  %7.1f%%", 100 * e.relational, 100 * e.nonRelational)
            line += kinds.map { String(format: " %9.1f%%", 100 * e.accuracy(of: $0)) }.joined()
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
        try ExperimentFiles.write(runs, to: directory, name: \.kind.rawValue, losses: \.losses, curves: [
            .init(title: "relational test accuracy (%) vs seconds", file: "relational-curves.png") { $0.evaluations.map { [$0[1], $0[2]] } },
            .init(title: "non-relational test accuracy (%) vs seconds", file: "non-relational-curves.png") { $0.evaluations.map { [$0[1], $0[3]] } },
        ])
    }

    /// Attention heatmaps of `model` for the questions `questions` of `dataset` (one PNG each, written to
    /// `directory/attention-<model>-<n>.png`): the image ×4 with, left, the question's attention over the 5×5 regions
    /// (text→vision, averaged over heads and the question's tokens) and, right, each region's attention to the
    /// word naming the colour (vision→text). Returns the files written (none for models without attention).
    @discardableResult
    public static func writeHeatmaps(model: SortOfCLEVRModel, dataset: SortOfCLEVRDataset, questions: [Int],
                                     to directory: URL) throws -> [URL] {
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        var written: [URL] = []
        for (n, q) in questions.enumerated() {
            let batch = dataset.batch(indices: [q])
            guard let out = try Tape.withoutRecording({ try model.attention(batch) }),
                  let textToVision = out.textToVisualWeights, let visionToText = out.visualToTextWeights else { return written }
            let logits = try Tape.withoutRecording { try model(batch) }
            let predicted = (0..<logits.shape[1]).max { logits.data[$0] < logits.data[$1] }!
            let question = dataset.questions[q]
            let tokens = WordVocabulary.tokens(question.text)
            let valid = tokens.count, t = textToVision.shape[1]
            var overQuestion = [Double](repeating: 0, count: 25)
            for token in 0..<valid { for r in 0..<25 { overQuestion[r] += Double(textToVision.data[token * 25 + r]) / Double(valid) } }
            let colorToken = tokens.firstIndex(of: question.color.rawValue) ?? 0
            let toColorWord = (0..<25).map { Double(visionToText.data[$0 * t + colorToken]) }
            let image = dataset.images[dataset.imageOfQuestion[q]]
            var canvas = RGBImage(width: 2 * 300 + 30, height: 300 + 50)
            for (panel, weights) in [overQuestion, toColorWord].enumerated() {
                overlay(image, weights: weights, on: &canvas, x: panel * 330, y: 40)
            }
            canvas.drawText(question.text, x: 0, y: 4, color: .black)
            let answer = SortOfCLEVRAnswer(rawValue: predicted).map(\.description) ?? "?"
            canvas.drawText("answer: \(question.answer)  model: \(answer)", x: 0, y: 16, color: .black)
            canvas.drawText("text to regions", x: 0, y: 28, color: RGB(90, 90, 90))
            canvas.drawText("regions to '\(question.color.rawValue)'", x: 330, y: 28, color: RGB(90, 90, 90))
            let url = directory.appendingPathComponent("attention-\(model.kind.rawValue)-\(n).png")
            try PNG.write(canvas, to: url)
            written.append(url)
        }
        return written
    }

    /// Draws `image` ×4 at (x, y) on `canvas`, tinting each of the 5×5 grid cells red by its weight (min–max scaled).
    private static func overlay(_ image: RGBImage, weights: [Double], on canvas: inout RGBImage, x: Int, y: Int) {
        let low = weights.min() ?? 0, span = max((weights.max() ?? 1) - low, 1e-9)
        for py in 0..<(image.height * 4) {
            for px in 0..<(image.width * 4) {
                let source = image[px / 4, py / 4]
                let cell = min(py / 4 * 5 / image.height, 4) * 5 + min(px / 4 * 5 / image.width, 4)
                let a = 0.7 * (weights[cell] - low) / span
                func mix(_ c: UInt8, _ target: Double) -> UInt8 { UInt8(Double(c) * (1 - a) + target * a) }
                canvas[x + px, y + py] = RGB(mix(source.red, 255), mix(source.green, 0), mix(source.blue, 0))
            }
        }
    }
}

private extension String {
    /// The string right-aligned in `width` columns.
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
