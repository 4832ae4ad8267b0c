/// Why `crossmodal serve` could not start; the description says how to fix it.
public enum ServingError: Error, CustomStringConvertible, Equatable {
    /// The listening socket could not be bound.
    case cannotListen(host: String, port: Int, reason: String)
    /// `--index` was given for a model that scores no image–text pairs, or names no images.
    case unusableIndex(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotListen(host, port, reason): "cannot listen on \(host):\(port): \(reason)"
        case let .unusableIndex(path, reason): "cannot index \(path) for retrieval: \(reason)"
        }
    }
}
