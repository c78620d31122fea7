# The Debian package: `cpack -G DEB` in build/release makes xinyipi_<version>_amd64.deb (README.md,
# "Install as a Debian package"; tests/package/run.sh checks it). Included by the root
# CMakeLists.txt after the targets.
#
# The binary and its configuration (profiles, calendars, the sample day) are installed under the
# prefix by adapters/cli/CMakeLists.txt: with the package's prefix /usr, /usr/bin/xinyipi finds
# /usr/share/xinyipi by itself. The service's files below have fixed system paths, so they are a
# component of their own, left out of a plain `cmake --install` (which must not write to /etc or
# /lib as a side effect) and put into the package by CPack only.
install(FILES ${PROJECT_SOURCE_DIR}/config/systemd/xinyipi.service
        DESTINATION /lib/systemd/system COMPONENT service EXCLUDE_FROM_ALL)
# The service's options: a conffile (config/packaging/conffiles), so an upgrade keeps the site's
# edits.
install(FILES ${PROJECT_SOURCE_DIR}/config/systemd/xinyipi.default
        DESTINATION /etc/default RENAME xinyipi COMPONENT service EXCLUDE_FROM_ALL)
# Empty: the site's own files (tokens, a local profile, calendars not shipped yet).
install(DIRECTORY DESTINATION /etc/xinyipi COMPONENT service EXCLUDE_FROM_ALL)

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/xinyipi)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs DESTINATION share/doc/xinyipi)

set(CPACK_PACKAGE_NAME xinyipi)
set(CPACK_PACKAGE_VENDOR "Xinyipi maintainers")
set(CPACK_PACKAGE_CONTACT "Xinyipi maintainers <maintainers@users.noreply.b-seed-98023c76.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "credit-based approval workflow engine (信易批) for government approval cases")
# The long description; CPack puts the summary above it.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Xinyipi runs each approval case as a state machine driven by events from Redis
streams, with deadlines in Chinese working days, escalations, credit hooks on
breaches and an HTTP back office. Jurisdiction profiles and working-day
calendars are data in /usr/share/xinyipi; the service (xinyipi.service) takes
its options from /etc/default/xinyipi.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies (Boost's, hiredis, zlib, libstdc++...) as dpkg-shlibdeps finds them.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The engine needs a Redis server, not necessarily on this machine.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS redis-server)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/config/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
# One package holding the default component (binary, configuration, docs) and the service's.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL Unspecified service)
set(CPACK_DEBIAN_PACKAGE_NAME xinyipi)
include(CPack)
