import ArgumentParser
import Foundation
import Tasks

/// `crossmodal sort-of-clevr`: the Sort-of-CLEVR relational reasoning benchmark.
struct SortOfCLEVRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sort-of-clevr",
        abstract: "Sort-of-CLEVR (Santoro et al. 2017): 75×75 scenes of six coloured squares and circles with text questions.",
        subcommands: [Generate.self, SortOfCLEVRReproduceCommand.self])

    /// `crossmodal sort-of-clevr generate --out DIR`: writes the data set to disk.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Writes PNG images, manifest.jsonl and scenes.jsonl per split, and labels.txt, to a directory.",
            discussion: "The directory is written atomically (a temporary directory renamed into place) and replaces an "
                + "earlier Sort-of-CLEVR data set there; any other non-empty directory is refused. Each split's images "
                + "depend only on the seed, so the first N images are the same for any --train / --test count.")

        @Option(help: "Output directory.")
        var out: String

        @Option(help: "Training images (20 questions each).")
        var train = SortOfCLEVR.trainImages

        @Option(help: "Test images (20 questions each).")
        var test = SortOfCLEVR.testImages

        @Option(help: "Random seed of the generator.")
        var seed: UInt64 = 0

        func validate() throws {
            guard train >= 0, test >= 0 else { throw ValidationError("--train and --test must be ≥ 0") }
        }

        func run() throws {
            let url = URL(fileURLWithPath: out)
            let start = Date()
            let terminal = isatty(STDERR_FILENO) != 0
            try SortOfCLEVRFiles.generate(to: url, train: train, test: test, seed: seed) { split, done, total in
                guard done == total || done % (terminal ? 50 : 1000) == 0 else { return }
                let line = "\(split.rawValue): \(done)/\(total) images"
                FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[2K" + line + (done == total ? "\n" : "") : line + "\n").utf8))
            }
            let questions = (train + test) * SortOfCLEVRGenerator().questionsPerImage
            print(String(format: "wrote %d train and %d test images (%d questions) to %@ in %.1f s",
                         train, test, questions, url.path, Date().timeIntervalSince(start)))
        }
    }
}
