import CrossModal
import Encoders
import Foundation
import Imaging
import Tensors

/// What `fashion-scenes reproduce` prints and writes: the comparison table, `results.json`, loss and
/// matching-accuracy curves, and the cross-attention model's attention heatmaps.
public enum FashionScenesReport {
    /// Hard-negative matching and retrieval per model, wall time and parameters.
    public static func table(_ runs: [FashionScenesRun]) -> String {
        var lines = ["model             swap-pos  swap-item   i→t R@1   R@5  R@10   t→i R@1   R@5  R@10  time (s)  parameters"]
        for run in runs {
            let e = run.evaluation
            var line = run.kind.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
            line += String(format: "  %7.1f%%  %8.1f%%  ", 100 * e.swappedPositions, 100 * e.swappedItems)
            line += String(format: "%7.1f%% %5.1f%% %5.1f%%  ", 100 * e.imageToText[0], 100 * e.imageToText[1], 100 * e.imageToText[2])
            line += String(format: "%7.1f%% %5.1f%% %5.1f%%", 100 * e.textToImage[0], 100 * e.textToImage[1], 100 * e.textToImage[2])
            line += String(format: "  %8.0f  %10d", run.seconds, run.parameters)
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// Writes `results.json`, `loss-curves.png` and `matching-curves.png` into `directory`.
    public static func write(_ runs: [FashionScenesRun], to directory: URL) throws {
        try ExperimentFiles.write(
            runs, to: directory, name: \.kind.rawValue, losses: \.losses,
            curves: [.init(title: "swapped-position matching accuracy (%)", file: "matching-curves.png", points: \.positionCurve)])
    }

    /// Heatmaps of the cross-attention model for test scenes `scenes` (`directory/attention-<n>.png`): the
    /// scene ×4, then for each named article the attention of its first caption token over the 7×7 regions
    /// (text→vision, averaged over heads), min–max scaled in red. Returns the files written.
    @discardableResult
    public static func writeHeatmaps(model: FashionScenesModel, split: FashionScenesFeatures.Split, clauses: FashionClauseFeatures,
                                     data: FashionMNIST, tokenizer: WordPieceTokenizer, scenes: [Int], to directory: URL) throws -> [URL] {
        guard let fusion = model.fusion as? CrossAttentionFusion else { return [] }
        model.eval()
        var written: [URL] = []
        for (n, s) in scenes.enumerated() {
            let batch = FashionScenesModel.batch(split, images: [s], captions: [3 * s])
            let out = try Tape.withoutRecording { try fusion.encode(batch, returnWeights: true) }
            guard let weights = out.textToVisualWeights else { continue }
            let scene = split.scenes[s], caption = scene.caption
            let image = scene.image(data).resized(width: 224, height: 224)
            var canvas = RGBImage(width: 5 * 234, height: 224 + 60)
            canvas.drawText(caption.text, x: 0, y: 4, color: .black)
            draw(image, weights: nil, on: &canvas, x: 0, y: 40)
            canvas.drawText("scene", x: 0, y: 28, color: RGB(90, 90, 90))
            for k in caption.clauses.indices {
                for (m, label) in [caption.clauses[k].first, caption.clauses[k].second].enumerated() {
                    let token = clauses.tokenPosition(ofArticle: m, clause: k, in: caption, tokenizer: tokenizer)
                    precondition(token < weights.shape[1], "FashionScenesReport.writeHeatmaps: token \(token) beyond the caption's \(weights.shape[1])")
                    let row = (0..<49).map { Double(weights.data[token * 49 + $0]) }
                    let panel = 1 + 2 * k + m
                    draw(image, weights: row, on: &canvas, x: panel * 234, y: 40)
                    canvas.drawText(FashionMNIST.classNames[label], x: panel * 234, y: 28, color: RGB(90, 90, 90))
                }
            }
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let url = directory.appendingPathComponent("attention-\(n).png")
            try PNG.write(canvas, to: url)
            written.append(url)
        }
        return written
    }

    /// Draws the 224×224 `image` at (x, y), tinting each of the 7×7 cells red by its weight when given.
    private static func draw(_ image: RGBImage, weights: [Double]?, on canvas: inout RGBImage, x: Int, y: Int) {
        let low = weights?.min() ?? 0, span = max((weights?.max() ?? 1) - low, 1e-9)
        for py in 0..<image.height {
            for px in 0..<image.width {
                let source = image[px, py]
                let a = weights.map { 0.75 * ($0[min(py / 32, 6) * 7 + min(px / 32, 6)] - low) / span } ?? 0
                func mix(_ c: UInt8, _ target: Double) -> UInt8 { UInt8(Double(c) * (1 - a) + target * a) }
                canvas[x + px, y + py] = RGB(mix(source.red, 255), mix(source.green, 0), mix(source.blue, 0))
            }
        }
    }
}
