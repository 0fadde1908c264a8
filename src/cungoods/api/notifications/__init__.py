"""The notification inbox: myNotifications, the unread count, markNotificationsRead,
setLanguage."""
