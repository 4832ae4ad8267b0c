import Foundation

/// The output directory of `crossmodal train`: refused when it already holds something else, unless told.
public enum RunDirectory {
    /// What to do with an output directory that is not empty.
    public enum Existing: Sendable { case refuse, resume, overwrite }

    /// Makes `directory` ready for a run of `bundle`: creates it when missing; with `.overwrite` removes what is
    /// there; with `.resume` requires the same model and training data there; with `.refuse` requires it empty.
    /// Returns whether there is a run to resume.
    @discardableResult
    public static func prepare(_ directory: URL, for bundle: ModelBundle, existing: Existing) throws -> Bool {
        let fm = FileManager.default
        let contents = (try? fm.contentsOfDirectory(atPath: directory.path)) ?? []
        if !contents.isEmpty {
            switch existing {
            case .overwrite:
                try fm.removeItem(at: directory)
            case .refuse:
                let what = contents.contains(ModelBundle.file) ? "already holds a run" : "is not empty (and holds no bundle.json)"
                throw ImageTextError.outputHoldsOtherRun(path: directory.path, reason: what)
            case .resume:
                guard let old = try? ModelBundle.read(directory) else {
                    throw ImageTextError.outputHoldsOtherRun(path: directory.path, reason: "holds no readable bundle.json to resume")
                }
                if let difference = differences(old, bundle).first {
                    throw ImageTextError.outputHoldsOtherRun(path: directory.path, reason: "holds a different run (\(difference))")
                }
                return true
            }
        }
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        return false
    }

    /// What differs between two bundles in ways a resumed run cannot follow.
    static func differences(_ a: ModelBundle, _ b: ModelBundle) -> [String] {
        var out: [String] = []
        func check<T: Equatable>(_ name: String, _ x: T, _ y: T) { if x != y { out.append("\(name): \(x) there, \(y) now") } }
        check("task", a.model.task.rawValue, b.model.task.rawValue)
        check("fusion", a.model.fusion.rawValue, b.model.fusion.rawValue)
        check("image encoder", a.model.imageEncoder.rawValue, b.model.imageEncoder.rawValue)
        check("text encoder", a.model.textEncoder.rawValue, b.model.textEncoder.rawValue)
        check("fine-tuning", a.model.finetuneEncoders, b.model.finetuneEncoders)
        check("width", a.model.width, b.model.width)
        check("training manifest", a.trainManifestKey, b.trainManifestKey)
        if a.model != b.model && out.isEmpty { out.append("labels, vocabulary or sizes differ") }
        return out
    }
}
