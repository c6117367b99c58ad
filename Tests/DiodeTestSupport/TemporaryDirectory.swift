import Foundation

/// A fresh directory under the system's temporary directory, removed by
/// `remove()`; shared by the test targets and the I/O test helper.
public struct TemporaryDirectory: Sendable {
    public let path: String

    /// - Parameter label: part of the directory's name (the calling test's
    ///   name by default), to tell leftovers apart.
    public init(_ label: String = #function) throws {
        let name = "diodescan-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
