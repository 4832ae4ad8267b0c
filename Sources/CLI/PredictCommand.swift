import ArgumentParser
import Foundation
import Imaging
import OwnData

/// `crossmodal predict`: answers for one image and text from a model bundle.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Top-k answers with probabilities (classify) or match scores (match) for one image and text(s).")

    @Option(help: "The run directory written by `crossmodal train`.")
    var model: String

    @Argument(help: "A PNG or JPEG image.")
    var image: String

    @Argument(help: "The question or text (match models take several).")
    var texts: [String]

    @Option(help: "Answers to show (classify).")
    var topK = 5

    @Option(help: "Write a PNG of each head's text→image attention over the image (cross- and co-attention models).")
    var heatmap: String?

    func run() throws {
        let (bundle, model) = try ModelBundle.load(URL(fileURLWithPath: self.model))
        let picture = try ImageFile.read(URL(fileURLWithPath: image))
        let predictor = ImageTextPredictor(model: model)
        var caption = ""
        if bundle.model.task == .classify {
            guard texts.count == 1 else { throw ValidationError("a classify model answers one text at a time; got \(texts.count)") }
            let answers = try predictor.answer(image: picture, text: texts[0], topK: topK)
            for (label, p) in answers { print(String(format: "%6.2f%%  %@", 100 * p, label)) }
            caption = String(format: "answer: %@ (%.1f%%)", answers[0].label, 100 * answers[0].probability)
        } else {
            let lines = zip(texts, try predictor.match(image: picture, texts: texts)).map { text, s in
                s.probability.map { String(format: "score %8.3f  P(match) %5.1f%%  %@", s.score, 100 * $0, text) }
                    ?? String(format: "score %8.3f  %@", s.score, text)
            }
            lines.forEach { print($0) }
            caption = lines[0].components(separatedBy: "  ").dropLast().joined(separator: "  ")
        }
        if let heatmap {
            try PNG.write(try predictor.heatmap(image: picture, text: texts[0], caption: caption), to: URL(fileURLWithPath: heatmap))
            print("wrote \(heatmap)")
        }
    }
}
