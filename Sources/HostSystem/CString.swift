extension String {
    /// The text a C call wrote into `buffer`, up to its terminating NUL (all of it if there is none).
    public init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
