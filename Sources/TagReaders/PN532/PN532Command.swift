/// The PN532 command codes this project sends (UM0701-02 chapter 7); a response's code is the
/// command's plus one.
public enum PN532Command {
    public static let getFirmwareVersion: UInt8 = 0x02
    public static let samConfiguration: UInt8 = 0x14
    public static let rfConfiguration: UInt8 = 0x32
    public static let inDataExchange: UInt8 = 0x40
    public static let inDeselect: UInt8 = 0x44
    public static let inListPassiveTarget: UInt8 = 0x4A
    public static let inRelease: UInt8 = 0x52

    /// RFConfiguration items (CfgItem, the first data byte).
    public enum RFItem {
        /// One byte: bit 0 switches the RF field on, bit 1 enables AutoRFCA.
        public static let field: UInt8 = 0x01
        /// MxRtyATR, MxRtyPSL, MxRtyPassiveActivation; 0xFF retries for ever, the power-on
        /// value of MxRtyPassiveActivation.
        public static let maxRetries: UInt8 = 0x05
    }

    /// The power-on MaxRetries values: MxRtyATR 0xFF, MxRtyPSL 0x01, MxRtyPassiveActivation 0xFF.
    public static let powerOnMaxRetries: [UInt8] = [0xFF, 0x01, 0xFF]
}
