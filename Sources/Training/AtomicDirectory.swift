import Foundation

/// Writes a directory of files all-or-nothing: into a hidden temporary directory in the same parent, each
/// file and the directory fsynced, then renamed to the final name (replacing an older directory of that
/// name). A failure removes the temporary directory and throws `TrainingError.unwritable` naming the path.
enum AtomicDirectory {
    /// Prefix of temporary directories (left behind only by a crash; `removeLeftovers` deletes them).
    static let temporaryPrefix = ".tmp-"

    static func write(_ files: [(name: String, data: Data)], to destination: URL) throws {
        let parent = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.unwritable(path: parent.path, reason: reason(error))
        }
        let temporary = parent.appendingPathComponent("\(temporaryPrefix)\(destination.lastPathComponent)-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw TrainingError.unwritable(path: temporary.path, reason: reason(error))
        }
        do {
            for file in files { try writeSynced(file.data, to: temporary.appendingPathComponent(file.name)) }
            try sync(temporary)
            if FileManager.default.fileExists(atPath: destination.path) {
                let old = parent.appendingPathComponent("\(temporaryPrefix)old-\(destination.lastPathComponent)-\(UUID().uuidString)")
                try rename(destination, old)
                try rename(temporary, destination)
                try? FileManager.default.removeItem(at: old)
            } else {
                try rename(temporary, destination)
            }
            try sync(parent)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Deletes `directory` by renaming it to a temporary name first (atomic), then removing that; a crash in
    /// between leaves only a temporary directory, which `removeLeftovers` deletes later.
    static func remove(_ directory: URL) {
        let doomed = directory.deletingLastPathComponent()
            .appendingPathComponent("\(temporaryPrefix)old-\(directory.lastPathComponent)-\(UUID().uuidString)")
        guard Foundation.rename(directory.path, doomed.path) == 0 else { return }
        try? FileManager.default.removeItem(at: doomed)
    }

    /// Deletes temporary directories in `parent` left by an interrupted `write`.
    static func removeLeftovers(in parent: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for name in names where name.hasPrefix(temporaryPrefix) {
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(name))
        }
    }

    private static func writeSynced(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw unwritable(url) }
        defer { close(fd) }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw unwritable(url) }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw unwritable(url) }
    }

    private static func sync(_ directory: URL) throws {
        let fd = open(directory.path, O_RDONLY)
        guard fd >= 0 else { throw unwritable(directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw unwritable(directory) }
    }

    private static func rename(_ from: URL, _ to: URL) throws {
        guard Foundation.rename(from.path, to.path) == 0 else {
            throw TrainingError.unwritable(path: to.path, reason: "cannot rename \(from.lastPathComponent): \(String(cString: strerror(errno)))")
        }
    }

    private static func unwritable(_ url: URL) -> TrainingError {
        TrainingError.unwritable(path: url.path, reason: String(cString: strerror(errno)))
    }

    private static func reason(_ error: Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        return underlying.map { String(cString: strerror(Int32($0.code))) } ?? error.localizedDescription
    }
}
