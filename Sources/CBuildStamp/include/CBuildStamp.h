#ifndef SMARTREADER_BUILD_STAMP_H
#define SMARTREADER_BUILD_STAMP_H

/// What Packaging/deb/build stamps into a release binary through the environment (see
/// Package.swift); each is "" in a plain `swift build`. Read by Gateway's BuildVersion.
const char *smartreader_stamped_version(void);
const char *smartreader_stamped_commit(void);
const char *smartreader_stamped_nio_ssl_version(void);

#endif
