import Foundation
import OwnData

/// How `train` and `eval` print an `ImageTextEvaluation`.
enum EvaluationReport {
    static func text(_ e: ImageTextEvaluation, config: ImageTextModelConfig) -> String {
        if config.task == .match {
            let r = { (v: [Double]) in zip(ImageTextEvaluation.recallKs, v).map { String(format: "R@%d %.1f%%", $0, 100 * $1) }.joined(separator: "  ") }
            return "retrieval over \(e.examples) texts:\n  image→text  \(r(e.imageToText))\n  text→image  \(r(e.textToImage))"
        }
        var lines = [String(format: "accuracy %.1f%% on %d examples", 100 * e.accuracy, e.examples)]
        let width = max(18, (e.groupTotal.keys.map(\.count) + e.total.keys.map(\.count)).max() ?? 0)
        if !e.groupTotal.isEmpty {
            lines.append("per group:")
            for g in e.groupTotal.keys.sorted() {
                lines.append(String(format: "  %@ %.1f%% (%d)", g.padding(toLength: width, withPad: " ", startingAt: 0), 100 * e.accuracy(group: g), e.groupTotal[g]!))
            }
        }
        lines.append("per label:")
        for label in e.total.keys.sorted() {
            let unseen = e.unseenLabels[label].map { _ in "  (not in the training labels)" } ?? ""
            lines.append(String(format: "  %@ %.1f%% (%d)%@", label.padding(toLength: width, withPad: " ", startingAt: 0),
                                100 * e.accuracy(label: label), e.total[label]!, unseen))
        }
        return lines.joined(separator: "\n")
    }
}
