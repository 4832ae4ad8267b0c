/// Why an own-data model, run directory or bundle could not be used; each case says what to change.
public enum ImageTextError: Error, CustomStringConvertible, Equatable {
    /// Options that do not make a working model.
    case invalidConfig(String)
    /// The output directory already holds something other than this run.
    case outputHoldsOtherRun(path: String, reason: String)
    /// A bundle directory that is missing a file or holds an unreadable one.
    case invalidBundle(path: String, reason: String)
    /// A request the loaded model cannot answer (e.g. a heatmap from a model without attention).
    case unsupported(String)

    public var description: String {
        switch self {
        case let .invalidConfig(reason): "invalid model options: \(reason)"
        case let .outputHoldsOtherRun(path, reason):
            "\(path) \(reason); pass --resume to continue that run, --overwrite to replace it, or choose another --out"
        case let .invalidBundle(path, reason):
            "\(path) is not a usable model bundle: \(reason); train one with `crossmodal train --out DIR` (a finished run "
                + "writes bundle.json and model.safetensors)"
        case let .unsupported(reason): reason
        }
    }
}
