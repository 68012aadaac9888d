export {
  HeartbeatDashboardHandler,
  type DashboardRoute,
  type HeartbeatDashboardHandlerOptions,
} from './heartbeat-dashboard.handler.js';
export {
  DASHBOARD_DEFAULT_PAGE_SIZE,
  DASHBOARD_SORTS,
  firstPage,
  type DashboardAppView,
  type DashboardCounts,
  type DashboardPage,
  type DashboardQuery,
  type DashboardSort,
} from './dashboard-data.js';
