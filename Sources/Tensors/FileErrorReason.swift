import Foundation

/// A short reason why reading or writing `url` failed, for typed file errors: the POSIX message behind a
/// Foundation error ("Not a directory", "Permission denied", …), or, when Foundation gives none (its Linux
/// writes report only "The operation could not be completed"), what is wrong with the nearest existing
/// ancestor directory of `url`.
public func fileErrorReason(_ error: Error, url: URL) -> String {
    if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError {
        return String(cString: strerror(Int32(underlying.code)))
    }
    let fm = FileManager.default
    var ancestor = url.deletingLastPathComponent()
    while ancestor.path != "/", !fm.fileExists(atPath: ancestor.path) { ancestor = ancestor.deletingLastPathComponent() }
    var isDirectory: ObjCBool = false
    if fm.fileExists(atPath: ancestor.path, isDirectory: &isDirectory), !isDirectory.boolValue {
        return "Not a directory (\(ancestor.path) is a file)"
    }
    if ancestor.path != url.deletingLastPathComponent().path {
        return "No such file or directory (\(url.deletingLastPathComponent().path) does not exist)"
    }
    if !fm.fileExists(atPath: url.path), !fm.isWritableFile(atPath: ancestor.path) {
        return "Permission denied (\(ancestor.path) is not writable)"
    }
    return error.localizedDescription
}
